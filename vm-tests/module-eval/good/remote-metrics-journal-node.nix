# What the assertions must let through: a remote metrics address with
# metricsAllowRemote, a jail whose only source is a `journal` node in its raw
# KDL, a disabled jail without any source, and IPv6 loopback metrics.
{ ... }:
{
  services.portcullis = {
    enable = true;
    settings = { metrics = "0.0.0.0:9617"; metricsAllowRemote = true; };
    jails.sshd.extraConfig = ''
      journal "_SYSTEMD_UNIT=sshd.service" "_COMM=sshd"
    '';
    jails.nginx-http-auth.enable = false;
  };
}
