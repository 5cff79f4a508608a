# The sshd jail reads NixOS's sshd straight from the journal, with no
# syslog daemon and no log file: `jails.sshd.journal` renders
# `journal "_SYSTEMD_UNIT=sshd.service"` (docs/configuration.md, "Journal sources").
# A journal source always uses the filter's journal log type.
{ pkgs, self, lib ? pkgs.lib }:

(import ./lib.nix { inherit pkgs self; }).mkTest {
  name = "journal";
  server = {
    services.rsyslogd.enable = lib.mkForce false;
    services.journald.forwardToSyslog = lib.mkForce false;
    services.portcullis.jails.sshd = {
      sources = lib.mkForce [ ];
      mode = "normal";
      journal = [ "_SYSTEMD_UNIT=sshd.service" ];
    };
  };
  testScript = { nodes, ... }: ''
    server.succeed("test ! -e /var/log/auth.log")
    server.wait_until_succeeds("journalctl -u portcullis.service | grep -F 'reading journal _SYSTEMD_UNIT=sshd.service'")

    with subtest("failed logins in the journal ban the attacker"):
        fail_logins()
        wait_banned()

    with subtest("after a restart the cursor is resumed: old lines do not count twice"):
        server.succeed(f"portcullis unban sshd {attacker_ip}")
        wait_not_banned()
        server.succeed("systemctl restart portcullis.service")
        server.wait_for_unit("portcullis.service")
        server.wait_until_succeeds("journalctl -u portcullis.service | grep -F 'after the saved position'")
        attacker.succeed("nc -z -w 3 server 22")
        server.fail(f"portcullis list sshd --json | grep -F '\"{attacker_ip}\"'")

    with subtest("new failures after the restart ban again"):
        fail_logins()
        wait_banned()
  '';
}
