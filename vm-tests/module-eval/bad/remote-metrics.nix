# expect: - services.portcullis.settings.metrics = "0.0.0.0:9617" is not a loopback address and port
{ ... }:
{
  services.portcullis = {
    enable = true;
    settings.metrics = "0.0.0.0:9617";
    jails.sshd.journal = [ "_SYSTEMD_UNIT=sshd.service" ];
  };
}
