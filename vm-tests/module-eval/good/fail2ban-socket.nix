# fail2ban's control socket under /run/fail2ban: rendered as the
# fail2ban-socket node, its directory a RuntimeDirectory of the unit.
{ ... }:
{
  services.portcullis = {
    enable = true;
    settings.fail2banSocket = "/run/fail2ban/fail2ban.sock";
    jails.sshd.sources = [ "/var/log/auth.log" ];
  };
}
