# One host of the README's two-host fleet: the cluster node rendered from
# services.portcullis.cluster, the unit allowed IP sockets for NATS.
{ ... }:
{
  services.portcullis = {
    enable = true;
    cluster = {
      servers = [ "nats://10.0.0.5:4222" "nats://10.0.0.6:4222" ];
      node = "gate-1";
      credentialsFile = "/run/secrets/portcullis-nats.creds";
      tls.ca = "/etc/ssl/nats-ca.pem";
      share = [ "sshd" ];
      accept = [ "sshd" ];
      maxBantime = "1d";
    };
    jails.sshd = { journal = [ "_SYSTEMD_UNIT=sshd.service" ]; ports = [ 22 ]; };
  };
}
