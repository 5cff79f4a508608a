# expect: cluster: no jail named "nginx"
{ ... }:
{
  services.portcullis = {
    enable = true;
    cluster = { servers = [ "nats://10.0.0.5:4222" ]; node = "gate-1"; share = [ "nginx" ]; };
    jails.sshd.sources = [ "/var/log/auth.log" ];
  };
}
