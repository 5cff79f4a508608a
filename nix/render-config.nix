# Renders the services.portcullis options (nix/module.nix) into
# portcullis.kdl, in the format of kdl-config/portcullis.kdl.
#
# Only builtins, no nixpkgs: CI evaluates it with Debian's nix-bin
# (vm-tests/check-nix-render) and feeds the result to `portcullis check-config`.
#
# Argument: { settings, jails, extraConfig, cluster, database, socket } shaped as the
# module's options (null means "not set: the daemon's default").
{ settings, jails, extraConfig ? "", cluster ? null, database, socket }:

let
  inherit (builtins) attrNames concatLists concatStringsSep filter isBool
    isFloat isInt isList isPath isString map replaceStrings split toString;

  # A KDL v2 string literal.
  string = s:
    "\"" + replaceStrings [ "\\" "\"" "\n" "\r" "\t" ] [ "\\\\" "\\\"" "\\n" "\\r" "\\t" ] s + "\"";

  value = v:
    if isBool v then (if v then "#true" else "#false")
    else if isInt v || isFloat v then toString v
    else string (toString v);

  # `name arg arg key="value"` ; `args` is a list, `props` an attrset.
  node = name: args: props:
    concatStringsSep " " ([ name ] ++ map value args
      ++ map (k: "${k}=${value props.${k}}") (attrNames props));

  # Optional one-argument node: nothing when the value is null.
  optional = name: v: if v == null then [ ] else [ (node name [ v ] { }) ];
  # A node with a list of arguments: nothing when the list is empty or null.
  listNode = name: vs: if vs == null || vs == [ ] then [ ] else [ (node name vs { }) ];

  indent = lines: map (l: "    " + l) lines;
  block = header: lines: [ "${header} {" ] ++ indent lines ++ [ "}" ];

  # bantime-increment { ... }, or nothing when null.
  increment = inc:
    if inc == null then [ ]
    else block "bantime-increment" (concatLists [
      (optional "enabled" (inc.enable or null))
      (optional "factor" (inc.factor or null))
      (listNode "multipliers" (inc.multipliers or null))
      (optional "max" (inc.max or null))
      (optional "jitter" (inc.jitter or null))
      (optional "across-jails" (inc.acrossJails or null))
    ]);

  # The settings a jail and `defaults` share (docs/configuration.md, "In a jail").
  jailSettings = s: concatLists [
    (optional "maxretry" (s.maxretry or null))
    (optional "findtime" (s.findtime or null))
    (optional "bantime" (s.bantime or null))
    (increment (s.increment or null))
    (listNode "ignore" (s.ignore or null))
    (optional "ignoreself" (s.ignoreself or null))
    (listNode "port" (s.ports or null))
    # "tcp", or [ "tcp" "udp" ] for both.
    (let p = s.protocol or null; in if isList p then listNode "protocol" p else optional "protocol" p)
    (optional "action" (s.action or null))
    (optional "ipv6-prefix" (s.ipv6Prefix or null))
    (optional "max-tracked" (s.maxTracked or null))
  ];

  # Non-empty lines of a jail's raw KDL.
  extraLines = text: filter (l: l != "") (filter isString (split "\n" text));

  filterNode = name: j:
    let
      props = (if (j.mode or null) != null then { mode = j.mode; } else { })
        // (j.filterParams or { });
    in
    let
      f = if (j.filter or null) != null then j.filter else name;
      # A path literal (./my-filter.conf) is copied to the store, as
      # "${f}" does; a string (a store path of pkgs.fail2ban) is kept.
      file = if isPath f then "${f}" else f;
    in
    [ (node "filter" [ file ] props) ];

  jail = name: j: block (node "jail" [ name ] { }) (concatLists [
    (if (j.enable or true) then [ ] else [ "enabled #false" ])
    (filterNode name j)
    (listNode "source" (j.sources or [ ]))
    (map (m: node "journal" [ m ] { }) (j.journal or [ ]))
    (jailSettings j)
    (extraLines (j.extraConfig or ""))
  ]);

  # cluster { ... } (docs/fleet.md), or nothing when null.
  clusterLines = c:
    if c == null then [ ]
    else let tls = c.tls or { }; in block "cluster" (concatLists [
      (listNode "servers" c.servers)
      (optional "node" (c.node or null))
      (optional "subject-prefix" (c.subjectPrefix or null))
      (optional "stream" (c.stream or null))
      (optional "replicas" (c.replicas or null))
      (optional "max-age" (c.maxAge or null))
      (optional "credentials" (c.credentialsFile or null))
      (optional "user" (c.user or null))
      (optional "password-file" (c.passwordFile or null))
      (optional "token-file" (c.tokenFile or null))
      (let t = concatLists [
         (optional "ca" (tls.ca or null))
         (optional "cert" (tls.cert or null))
         (optional "key" (tls.key or null))
       ]; in if t == [ ] then [ ] else block "tls" t)
      (listNode "share" (c.share or null))
      (listNode "accept" (c.accept or null))
      (optional "max-bantime" (c.maxBantime or null))
    ]);

  defaults = settings.defaults or { };
  defaultLines = jailSettings defaults;

  lines = concatLists [
    [ "// portcullis.kdl, rendered by the NixOS module services.portcullis." ]
    (optional "table" (settings.table or null))
    (listNode "hooks" (settings.hooks or null))
    [ (node "database" [ database ] { }) (node "socket" [ socket ] { }) ]
    (optional "log-level" (settings.logLevel or null))
    (optional "purge-after" (settings.purgeAfter or null))
    (optional "fail2ban-socket" (settings.fail2banSocket or null))
    (if (settings.metrics or null) == null then [ ]
     else [ (node "metrics" [ settings.metrics ]
       (if settings.metricsAllowRemote or false then { allow-remote = true; } else { })) ])
    (if cluster == null then [ ] else [ "" ] ++ clusterLines cluster)
    (if defaultLines == [ ] then [ ] else [ "" ] ++ block "defaults" defaultLines)
    (concatLists (map (name: [ "" ] ++ jail name jails.${name}) (attrNames jails)))
  ];
in
concatStringsSep "\n" lines + "\n"
+ (if extraConfig == "" then "" else "\n" + extraConfig + "\n")
