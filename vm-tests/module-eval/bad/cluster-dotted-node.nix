# expect: services.portcullis.cluster.node = "gate.example" is not a single NATS subject token
{ ... }:
{
  services.portcullis = {
    enable = true;
    cluster = { servers = [ "nats://10.0.0.5:4222" ]; node = "gate.example"; };
    jails.sshd.sources = [ "/var/log/auth.log" ];
  };
}
