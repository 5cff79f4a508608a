# A fleet host with only the servers and a .creds file: the node is the
# host name, every jail is shared and accepted.
{ ... }:
{
  networking.hostName = "gate-2";
  services.portcullis = {
    enable = true;
    cluster = {
      servers = [ "nats://10.0.0.5:4222" ];
      credentialsFile = "/etc/portcullis/nats.creds";
    };
    jails.sshd.journal = [ "_SYSTEMD_UNIT=sshd.service" ];
  };
}
