# What the option types of nix/module.nix cannot say, as NixOS `assertions`:
# nixos-rebuild stops with these messages before anything is built. They
# repeat two checks of `portcullis check-config` (which also runs at build
# time, on the rendered file) so the error names the option to change rather
# than a line of the generated KDL.
{ lib, cfg }:

let
  inherit (lib) any filterAttrs mapAttrsToList splitString;

  # A `source` or `journal` node among the jail's raw KDL lines.
  extraHasSource = text:
    any (line: builtins.match "[[:space:]]*(source|journal)([[:space:]].*)?" line != null)
      (splitString "\n" text);

  hasSource = j: j.sources != [ ] || j.journal != [ ] || extraHasSource j.extraConfig;

  # What the daemon's SocketAddr::ip().is_loopback() accepts: 127.0.0.0/8, ::1.
  loopback = address:
    builtins.match "127\\.[0-9]+\\.[0-9]+\\.[0-9]+:[0-9]+" address != null
    || builtins.match "[[]::1[]]:[0-9]+" address != null;

  metrics = cfg.settings.metrics;
in
mapAttrsToList
  (name: _: {
    assertion = false;
    message = "services.portcullis.jails.${name} has no log to read: set `sources` (files or globs) or `journal` (matches such as \"_SYSTEMD_UNIT=sshd.service\"), or `enable = false`.";
  })
  (filterAttrs (_: j: j.enable && !hasSource j) cfg.jails)
++ [{
  assertion = metrics == null || cfg.settings.metricsAllowRemote || loopback metrics;
  message = "services.portcullis.settings.metrics = \"${toString metrics}\" is not a loopback address and port (127.0.0.1:PORT or [::1]:PORT) and the metrics page has no authentication: listen on loopback and scrape through a proxy, or set settings.metricsAllowRemote = true if a firewall keeps others out.";
}]
