# expect: - services.portcullis.jails.nginx-http-auth has no log to read: set `sources`
{ ... }:
{
  services.portcullis = {
    enable = true;
    jails.sshd.journal = [ "_SYSTEMD_UNIT=sshd.service" ];
    jails.nginx-http-auth.ports = [ 80 443 ];
  };
}
