# expect: A definition for option `services.portcullis.jails.sshd.maxretry' is not of type `null or (positive integer, meaning >0)'
{ ... }:
{
  services.portcullis = {
    enable = true;
    jails.sshd = { journal = [ "_SYSTEMD_UNIT=sshd.service" ]; maxretry = "3"; };
  };
}
