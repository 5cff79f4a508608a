# (4) Needs issue 5 (journald source): the sshd jail reads NixOS's sshd
# straight from the journal, with no syslog daemon and no log file. The
# `journal` node is the syntax proposed for issue 5; adjust it to what that
# issue settles on. Kept out of the flake's `checks` until then
# (flake.nix, vmTestsNeedingIssue5).
{ pkgs, self, lib ? pkgs.lib }:

(import ./lib.nix { inherit pkgs self; }).mkTest {
  name = "journal";
  server = {
    services.rsyslogd.enable = lib.mkForce false;
    services.journald.forwardToSyslog = lib.mkForce false;
    services.portcullis.jails.sshd = {
      sources = lib.mkForce [ ];
      mode = "normal";
      filterParams.logtype = "journal";
      extraConfig = ''
        journal "_SYSTEMD_UNIT=sshd.service"
      '';
    };
  };
  testScript = { nodes, ... }: ''
    server.succeed("test ! -e /var/log/auth.log")

    with subtest("failed logins in the journal ban the attacker"):
        fail_logins()
        wait_banned()

    with subtest("after a restart the cursor is resumed: old lines do not count twice"):
        server.succeed(f"portcullis unban sshd {attacker_ip}")
        wait_not_banned()
        server.succeed("systemctl restart portcullis.service")
        server.wait_for_unit("portcullis.service")
        attacker.succeed("nc -z -w 3 server 22")
        server.fail(f"portcullis list sshd --json | grep -F '\"{attacker_ip}\"'")

    with subtest("new failures after the restart ban again"):
        fail_logins()
        wait_banned()
  '';
}
