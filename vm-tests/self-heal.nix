# Self-healing: when another process flushes the ruleset or deletes our
# table, the daemon rebuilds it and puts every ban back within a second,
# without a restart.
{ pkgs, self }:

(import ./lib.nix { inherit pkgs self; }).mkTest {
  name = "self-heal";
  server = {
    networking.nftables.enable = true;
    networking.firewall.allowedTCPPorts = [ 22 ];
  };
  testScript = { nodes, ... }: ''
    fail_logins()
    wait_banned()
    restarts = server.succeed("systemctl show -P NRestarts portcullis.service").strip()
    pid = server.succeed("systemctl show -P MainPID portcullis.service").strip()

    with subtest("nft flush ruleset: the table and the ban come back"):
        server.succeed("nft flush ruleset")
        wait_banned()
        server.wait_until_succeeds(
            "journalctl -u portcullis.service | grep -i 'flush\\|deleted\\|repair'", timeout=30)

    with subtest("nft delete table: the same"):
        server.succeed("nft delete table inet portcullis")
        wait_banned()

    with subtest("systemctl reload nftables (what a switch does): the same"):
        server.succeed("systemctl reload nftables.service")
        wait_banned()

    with subtest("repaired in place, not by a restart"):
        assert server.succeed("systemctl show -P MainPID portcullis.service").strip() == pid
        assert server.succeed("systemctl show -P NRestarts portcullis.service").strip() == restarts
  '';
}
