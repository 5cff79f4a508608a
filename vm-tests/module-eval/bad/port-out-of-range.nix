# expect: A definition for option `services.portcullis.jails.sshd.ports."[definition 1-entry 1]"' is not of type
{ ... }:
{
  services.portcullis = {
    enable = true;
    jails.sshd = { journal = [ "_SYSTEMD_UNIT=sshd.service" ]; ports = [ 65536 ]; };
  };
}
