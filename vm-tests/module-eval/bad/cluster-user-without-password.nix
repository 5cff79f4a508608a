# expect: services.portcullis.cluster: user and passwordFile go together
{ ... }:
{
  services.portcullis = {
    enable = true;
    cluster = { servers = [ "nats://10.0.0.5:4222" ]; user = "gate-1"; };
    jails.sshd.sources = [ "/var/log/auth.log" ];
  };
}
