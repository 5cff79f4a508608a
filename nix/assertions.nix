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

  # services.portcullis.cluster (nix/cluster-options.nix).
  cluster = cfg.cluster;
  opt = "services.portcullis.cluster";
  inStore = path: path != null && lib.hasPrefix builtins.storeDir path;
  natsUrl = url: builtins.match "(nats|tls)://[^/]+:[0-9]+" url != null;
  set = v: v != null;
  ways = lib.count set [ cluster.credentialsFile cluster.passwordFile cluster.tokenFile ];
  # share/accept naming a jail that is not configured.
  unknownJails = key:
    lib.filter (name: !(cfg.jails ? ${name})) (if cluster.${key} == null then [ ] else cluster.${key});
  clusterAssertions = [
    {
      assertion = builtins.match "[A-Za-z0-9_-]{1,64}" cluster.node != null;
      message = "${opt}.node = \"${cluster.node}\" is not a single NATS subject token (letters, digits, - and _, at most 64): set it (its default is networking.hostName).";
    }
    {
      assertion = cluster.servers != [ ];
      message = "${opt}.servers is empty: list the NATS servers to connect to, such as [ \"nats://10.0.0.5:4222\" ].";
    }
    {
      assertion = lib.all natsUrl cluster.servers;
      message = "${opt}.servers: ${lib.concatStringsSep ", " (lib.filter (u: !natsUrl u) cluster.servers)} is not a NATS URL (nats://host:port or tls://host:port).";
    }
    {
      assertion = ways <= 1;
      message = "${opt}: set one of credentialsFile, passwordFile (with user) or tokenFile.";
    }
    {
      assertion = (cluster.user == null) == (cluster.passwordFile == null);
      message = "${opt}: user and passwordFile go together (the password is read from the file, never written into the Nix store).";
    }
    {
      assertion = (cluster.tls.cert == null) == (cluster.tls.key == null);
      message = "${opt}.tls: cert and key go together.";
    }
  ] ++ map (key: {
    assertion = !(inStore cluster.${key});
    message = "${opt}.${key} = \"${toString cluster.${key}}\" is in the Nix store, which every user can read: keep the secret outside it (/run/secrets/..., /etc/portcullis/...).";
  }) [ "credentialsFile" "passwordFile" "tokenFile" ]
  ++ [{
    assertion = !(inStore cluster.tls.key);
    message = "${opt}.tls.key is in the Nix store, which every user can read: keep the key outside it.";
  }]
  ++ map (key: {
    assertion = unknownJails key == [ ];
    message = "${opt}.${key} names ${lib.concatStringsSep ", " (unknownJails key)}, not a jail of services.portcullis.jails (configured: ${lib.concatStringsSep ", " (lib.attrNames cfg.jails)}).";
  }) [ "share" "accept" ];
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
++ lib.optionals (cluster != null) clusterAssertions
