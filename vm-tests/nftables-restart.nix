# (3) With networking.nftables.enable, `systemctl restart nftables` flushes
# the ruleset; the bans come back. The module makes portcullis PartOf
# nftables.service, so the restart restarts portcullis after the firewall,
# and the daemon restores its stored bans into a fresh table.
{ pkgs, self }:

(import ./lib.nix { inherit pkgs self; }).mkTest {
  name = "nftables-restart";
  server = {
    networking.nftables.enable = true;
    networking.firewall.allowedTCPPorts = [ 22 ];
  };
  testScript = { nodes, ... }: ''
    server.wait_for_unit("nftables.service")

    fail_logins()
    wait_banned()

    with subtest("systemctl restart nftables: the bans come back"):
        server.succeed("systemctl restart nftables.service")
        server.wait_for_unit("nftables.service")
        server.wait_for_unit("portcullis.service")
        wait_banned()
        # The NixOS firewall is still there beside our table.
        server.succeed("nft list table inet nixos-fw")

    with subtest("unban"):
        server.succeed(f"portcullis unban sshd {attacker_ip}")
        wait_not_banned()
  '';
}
