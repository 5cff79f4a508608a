# expect: services.portcullis.cluster.servers is empty: list the NATS servers to connect to
{ ... }:
{
  services.portcullis = {
    enable = true;
    cluster.node = "gate-1";
    jails.sshd.sources = [ "/var/log/auth.log" ];
  };
}
