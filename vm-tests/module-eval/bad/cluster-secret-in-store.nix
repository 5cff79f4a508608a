# expect: services.portcullis.cluster.passwordFile = "/nix/store/
# A password file given as a path literal is copied into the world-readable
# store: refused.
{ pkgs, ... }:
{
  services.portcullis = {
    enable = true;
    cluster = {
      servers = [ "nats://10.0.0.5:4222" ];
      user = "gate-1";
      passwordFile = "${pkgs.coreutils}/nats-password";
    };
    jails.sshd.sources = [ "/var/log/auth.log" ];
  };
}
