# expect: services.portcullis.cluster.share names nginx, not a jail of services.portcullis.jails (configured: sshd)
{ ... }:
{
  services.portcullis = {
    enable = true;
    cluster = { servers = [ "nats://10.0.0.5:4222" ]; node = "gate-1"; share = [ "nginx" ]; };
    jails.sshd.sources = [ "/var/log/auth.log" ];
  };
}
