# One host of a fleet with every cluster option: the cluster node rendered
# from services.portcullis.cluster (a password read from a file outside the
# store), the unit allowed IP sockets for NATS.
{ ... }:
{
  services.portcullis = {
    enable = true;
    cluster = {
      servers = [ "nats://10.0.0.5:4222" "tls://[2001:db8::6]:4222" ];
      node = "gate-1";
      subjectPrefix = "fleet.bans";
      stream = "BANS";
      replicas = 3;
      maxAge = "7d";
      user = "gate-1";
      passwordFile = "/run/secrets/portcullis-nats-password";
      tls = { ca = "/etc/ssl/nats-ca.pem"; cert = "/etc/portcullis/nats.crt"; key = "/run/secrets/nats.key"; };
      share = [ "sshd" "web" ];
      accept = [ "sshd" ];
      maxBantime = "1d";
    };
    jails.sshd = { journal = [ "_SYSTEMD_UNIT=sshd.service" ]; ports = [ 22 ]; };
    jails.web = { sources = [ "/var/log/nginx/error.log" ]; filter = "nginx-http-auth"; };
  };
}
