# (1) Failed SSH logins from the attacker get it banned and its connections
# dropped; `portcullis unban` lets it in again.
{ pkgs, self }:

(import ./lib.nix { inherit pkgs self; }).mkTest {
  name = "ban-unban";
  testScript = { nodes, ... }: ''
    with subtest("failed logins ban the attacker"):
        fail_logins()
        wait_banned()
        server.wait_until_succeeds(
            f"journalctl -u portcullis.service | grep -F 'NOTICE [sshd] Ban {attacker_ip}'", timeout=30)
        server.succeed(f"nft list set inet portcullis sshd-v4 | grep -F '{attacker_ip}'")
        server.succeed(f"portcullis status sshd | grep -F '{attacker_ip}'")

    with subtest("unban lets the attacker in"):
        server.succeed(f"portcullis unban sshd {attacker_ip}")
        wait_not_banned()
        attacker.succeed(f"sshpass -p right {SSH}")

    with subtest("a manual ban holds"):
        server.succeed(f"portcullis ban sshd {attacker_ip} --for 10m")
        wait_banned()
        server.succeed(f"portcullis unban sshd {attacker_ip}")
        wait_not_banned()
  '';
}
