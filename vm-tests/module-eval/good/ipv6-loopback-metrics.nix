# Metrics on [::1] need no metricsAllowRemote; no nftables service.
{ ... }:
{
  services.portcullis = {
    enable = true;
    settings.metrics = "[::1]:9617";
    jails.sshd.sources = [ "/var/log/auth.log" ];
  };
}
