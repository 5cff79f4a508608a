# expect: The option `services.portcullis.jails.sshd.logpath' does not exist
{ ... }:
{
  services.portcullis = {
    enable = true;
    # fail2ban's name for `sources`
    jails.sshd = { logpath = "/var/log/auth.log"; };
  };
}
