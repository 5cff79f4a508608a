# The README's NixOS example, as the options nix/module.nix hands to
# nix/render-config.nix (unset options left out: the renderer treats them as
# null). vm-tests/check-nix-parse renders it and runs `portcullis check-config`.
import ../nix/render-config.nix {
  database = "/var/lib/portcullis";
  socket = "/run/portcullis/portcullis.sock";
  settings = {
    hooks = [ "input" ];
    logLevel = "info";
    purgeAfter = "30d";
    defaults = {
      maxretry = 5;
      findtime = "10m";
      bantime = "10m";
      increment = { factor = 1; max = "1w"; jitter = "1m"; };
      ignore = [ "192.0.2.0/24" "2001:db8::1" ];
    };
  };
  jails = {
    sshd = {
      filter = "sshd";
      mode = "aggressive";
      sources = [ "/var/log/auth.log" ];
      ports = [ 22 ];
      maxretry = 3;
      bantime = "1h";
    };
    nginx-http-auth = {
      filter = "nginx-http-auth";
      sources = [ "/var/log/nginx/error.log" ];
      ports = [ 80 443 ];
      action = "reject";
      ipv6Prefix = 64;
    };
    recidive = {
      enable = false;
      filter = "recidive";
      sources = [ "/var/log/portcullis.log" ];
      bantime = "1w";
      increment = { enable = false; };
      extraConfig = ''
        findtime "1d"
      '';
    };
  };
  extraConfig = ''
    // raw KDL, appended as is
  '';
}
