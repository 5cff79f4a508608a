# services.portcullis: the NixOS module.
#
# Renders /etc/portcullis/portcullis.kdl from the options (nix/render-config.nix),
# checks it with `portcullis check-config` at build time, so that a wrong
# configuration fails `nixos-rebuild` and not the boot, and runs the daemon
# as a hardened Type=notify unit with CAP_NET_ADMIN only.
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkOption mkEnableOption mkPackageOption mkIf types literalExpression;

  cfg = config.services.portcullis;
  nftables = config.networking.nftables;

  duration = types.str // { description = "duration such as \"10m\", \"1h30m\", \"2d\""; };

  # Settings a jail and `defaults` share; null leaves the daemon's default.
  incrementOptions = {
    options = {
      enable = mkOption {
        type = types.nullOr types.bool;
        default = null;
        description = "Set to false to switch increments off (for one jail when `defaults` has them).";
      };
      factor = mkOption {
        type = types.nullOr types.number;
        default = null;
        description = "`bantime * factor * 2^min(n, 20)` for an address banned n > 0 times before.";
      };
      multipliers = mkOption {
        type = types.nullOr (types.listOf types.number);
        default = null;
        example = [ 1 2 4 8 16 ];
        description = "Instead of `factor`: `bantime * multipliers[min(n, last)]`.";
      };
      max = mkOption { type = types.nullOr duration; default = null; example = "1w"; description = "No ban is longer."; };
      jitter = mkOption { type = types.nullOr duration; default = null; example = "5m"; description = "A random extra up to this much."; };
      acrossJails = mkOption {
        type = types.nullOr types.bool;
        default = null;
        description = "Count bans in every jail, not only this one.";
      };
    };
  };

  # "8000-8100" or fail2ban's "8000:8100"; the daemon checks the bounds.
  portRange = types.strMatching "[0-9]+[-:][0-9]+";
  protocolName = types.enum [ "tcp" "udp" ];

  jailSettingOptions = {
    maxretry = mkOption { type = types.nullOr types.ints.positive; default = null; example = 5; description = "Failures that ban (daemon default 5)."; };
    findtime = mkOption { type = types.nullOr duration; default = null; example = "10m"; description = "Window in which `maxretry` failures ban (default 10m)."; };
    bantime = mkOption {
      type = types.nullOr (types.either types.ints.positive duration);
      default = null;
      example = "1h";
      description = "Ban length: a duration, seconds as an integer, or \"permanent\" (default 10m).";
    };
    increment = mkOption {
      type = types.nullOr (types.submodule incrementOptions);
      default = null;
      example = literalExpression ''{ factor = 1; max = "1w"; jitter = "5m"; }'';
      description = "`bantime-increment`: longer bans for repeat offenders.";
    };
    ignore = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "192.0.2.0/24" "2001:db8::1" ];
      description = "Addresses and networks never banned.";
    };
    ignoreself = mkOption {
      type = types.nullOr types.bool;
      default = null;
      description = "Never ban loopback and this host's addresses (daemon default true).";
    };
    ports = mkOption {
      type = types.listOf (types.oneOf [ types.port portRange (types.enum [ "all" ]) ]);
      default = [ ];
      example = literalExpression ''[ 22 "8000-8100" ]'';
      description = "Destination ports the ban covers: numbers, \"a-b\" ranges (or fail2ban's \"a:b\"); empty means the daemon's default, all ports.";
    };
    protocol = mkOption {
      type = types.nullOr (types.either protocolName (types.nonEmptyListOf protocolName));
      default = null;
      example = [ "tcp" "udp" ];
      description = "Protocol of `ports`: \"tcp\" (default), \"udp\", or both as a list.";
    };
    action = mkOption { type = types.nullOr (types.enum [ "drop" "reject" ]); default = null; description = "drop (default) or reject."; };
    ipv6Prefix = mkOption { type = types.nullOr (types.ints.between 1 128); default = null; example = 64; description = "Ban whole IPv6 networks of this length."; };
    maxTracked = mkOption { type = types.nullOr types.ints.positive; default = null; description = "Addresses in the failure table (default 1,000,000)."; };
  };

  jailOptions = { name, ... }: {
    options = jailSettingOptions // {
      enable = mkOption { type = types.bool; default = true; description = "Whether this jail runs."; };
      filter = mkOption {
        type = types.either types.str types.path;
        default = name;
        defaultText = literalExpression "<name>";
        example = literalExpression ''"''${pkgs.fail2ban}/etc/fail2ban/filter.d/roundcube-auth.conf"'';
        description = ''
          A bundled filter name (kdl-config/filters), the path of a .kdl
          filter, or the path of a fail2ban filter file (ending in .conf or
          .local), for example one of nixpkgs' fail2ban package, used in
          place from the store (its includes, such as common.conf, are read
          beside it). `mode` and `filterParams` are its options, as
          fail2ban's `filter = name[mode=..., key=value]`.
        '';
      };
      mode = mkOption { type = types.nullOr types.str; default = null; example = "aggressive"; description = "The filter's mode."; };
      filterParams = mkOption {
        type = types.attrsOf types.str;
        default = { };
        example = { publickey = "invalid"; };
        description = "Filter parameters, rendered as properties of the `filter` node.";
      };
      sources = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "/var/log/auth.log" "/var/log/nginx/*.log" ];
        description = "Log files or globs to follow.";
      };
      journal = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "_SYSTEMD_UNIT=sshd.service" ];
        description = ''
          systemd journal matches (FIELD=value); entries matching any of
          them are read, from the system journal. Each becomes a `journal`
          node; for matches that must all hold, or `directory=`, write the
          node in extraConfig.
        '';
      };
      extraConfig = mkOption {
        type = types.lines;
        default = "";
        description = "Raw KDL nodes added inside this jail's block.";
      };
    };
  };

  # services.portcullis.cluster: the `cluster { }` node (docs/fleet.md).
  clusterOptions = import ./cluster-options.nix {
    inherit lib duration;
    hostName = config.networking.hostName;
  };

  renderedText = import ./render-config.nix {
    inherit (cfg) extraConfig cluster;
    settings = cfg.settings;
    jails = cfg.jails;
    database = "/var/lib/portcullis";
    socket = "/run/portcullis/portcullis.sock";
  };

  hardening = import ./service-hardening.nix;

  # The fail2ban socket's directory under /run (`fail2ban` for
  # /run/fail2ban/fail2ban.sock), made by systemd for the unit; null
  # without the socket or outside /run.
  f2bSocketDir =
    if cfg.settings.fail2banSocket == null then null
    else builtins.dirOf cfg.settings.fail2banSocket;
  f2bRuntimeDir =
    if f2bSocketDir == null || !(lib.hasPrefix "/run/" f2bSocketDir) then null
    else lib.removePrefix "/run/" f2bSocketDir;

  canRun = pkgs.stdenv.buildPlatform.canExecute pkgs.stdenv.hostPlatform;

  configFile = pkgs.runCommand "portcullis.kdl"
    {
      text = renderedText;
      passAsFile = [ "text" ];
      preferLocalBuild = true;
    }
    ''
      cp "$textPath" "$out"
      ${lib.optionalString (cfg.checkConfig && canRun) ''
        ${lib.getExe cfg.package} check-config --config "$out"
      ''}
    '';
in
{
  options.services.portcullis = {
    enable = mkEnableOption "portcullis, an intrusion blocker that bans in nftables sets";

    package = mkPackageOption pkgs "portcullis" { };

    settings = {
      table = mkOption { type = types.nullOr types.str; default = null; description = "Our nftables table, family inet (default portcullis)."; };
      hooks = mkOption {
        type = types.listOf (types.enum [ "input" "forward" ]);
        default = [ ];
        example = [ "input" "forward" ];
        description = "Base chains to filter in; empty means the daemon's default, input.";
      };
      logLevel = mkOption {
        type = types.nullOr (types.enum [ "error" "warn" "info" "debug" "trace" ]);
        default = null;
        description = "Log level (default info).";
      };
      purgeAfter = mkOption { type = types.nullOr duration; default = null; example = "30d"; description = "Forget expired bans and histories this old."; };
      metrics = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "127.0.0.1:9617";
        description = "Serve Prometheus metrics at http://ADDRESS/metrics; null (the default) serves none. A loopback address unless `metricsAllowRemote`.";
      };
      fail2banSocket = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "/run/fail2ban/fail2ban.sock";
        description = "Also answer fail2ban's control protocol on this socket, so that fail2ban-client and tools built on its socket talk to portcullis; null (the default) serves none. Mode 0600, root may change, anyone may read. Under /run, its directory becomes a RuntimeDirectory of the unit. Do not enable services.fail2ban beside it.";
      };
      metricsAllowRemote = mkOption {
        type = types.bool;
        default = false;
        description = "Allow a non-loopback `metrics` address. The page has no authentication: keep others out with a firewall.";
      };
      defaults = mkOption {
        type = types.submodule { options = jailSettingOptions; };
        default = { };
        description = "Jail settings every jail starts from (the `defaults` node).";
      };
    };

    jails = mkOption {
      type = types.attrsOf (types.submodule jailOptions);
      default = { };
      example = literalExpression ''
        {
          sshd = { journal = [ "_SYSTEMD_UNIT=sshd.service" ]; ports = [ 22 ]; maxretry = 3; };
        }
      '';
      description = "Jails; each gets the nftables sets `<name>-v4` and `<name>-v6`.";
    };

    cluster = mkOption {
      type = types.nullOr (types.submodule clusterOptions);
      default = null;
      example = literalExpression ''
        {
          servers = [ "nats://10.0.0.5:4222" "nats://10.0.0.6:4222" ];
          user = "gate-1";
          passwordFile = "/run/secrets/portcullis-nats-password";
          share = [ "sshd" ];
        }
      '';
      description = "Share bans with a fleet over NATS JetStream (the `cluster` node, docs/fleet.md); null (the default): bans stay on this host. The unit then may open IP sockets (AF_INET, AF_INET6).";
    };

    extraConfig = mkOption {
      type = types.lines;
      default = "";
      description = "Raw KDL appended to the rendered configuration.";
    };

    checkConfig = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Run `portcullis check-config` on the rendered file at build time. Switch
        off when the configuration refers to files that exist only on the
        target machine (an `include`, a filter given by path).
      '';
    };

    supplementaryGroups = mkOption {
      type = types.listOf types.str;
      default = [ "systemd-journal" ];
      example = [ "systemd-journal" "nginx" ];
      description = ''
        Groups the daemon runs with, to read logs it could not otherwise read:
        it runs as root but without CAP_DAC_OVERRIDE.
      '';
    };

    configFile = mkOption {
      type = types.path;
      readOnly = true;
      default = configFile;
      defaultText = "the rendered, checked portcullis.kdl";
      description = "The rendered configuration, installed as /etc/portcullis/portcullis.kdl.";
    };
  };

  config = mkIf cfg.enable {
    assertions = import ./assertions.nix { inherit lib cfg; };
    environment.systemPackages = [ cfg.package ];
    # Our table lives in nf_tables whichever firewall backend the host uses.
    boot.kernelModules = [ "nf_tables" ];
    environment.etc."portcullis/portcullis.kdl".source = configFile;

    systemd.services.portcullis = {
      description = "portcullis intrusion blocker";
      documentation = [ "man:portcullis(1)" ];
      wantedBy = [ "multi-user.target" ];
      # After the firewall: nftables.service flushes the whole ruleset, our
      # table included, when it starts or reloads. PartOf restarts portcullis
      # with it, and a switch that reloads a changed ruleset restarts
      # portcullis too (restartTriggers); either way the daemon rebuilds its
      # table and puts every stored ban back with its remaining time. (Once
      # the daemon repairs a flushed table by itself, issue 5, this is only
      # a second line of defence.)
      after = [ "network.target" ] ++ lib.optional nftables.enable "nftables.service";
      partOf = lib.optional nftables.enable "nftables.service";
      restartTriggers = lib.optionals nftables.enable [
        nftables.ruleset
        (builtins.toJSON nftables.tables)
      ];
      # A new configuration is re-read in place (SIGHUP); jails that did not
      # change keep running and no ban is lost.
      reloadTriggers = [ configFile ];

      # The static part lives in service-hardening.nix (read from the
      # Debian unit, their one source), which the kernel matrix also renders
      # into a unit for a real systemd.
      serviceConfig = hardening // {
        # The metrics listener and the NATS client need IP sockets.
        RestrictAddressFamilies = lib.toList hardening.RestrictAddressFamilies
          ++ lib.optionals (cfg.settings.metrics != null || cfg.cluster != null) [ "AF_INET" "AF_INET6" ];
        # ProtectSystem=strict: the fail2ban socket's directory must be ours.
        RuntimeDirectory = if f2bRuntimeDir == null then hardening.RuntimeDirectory
          else lib.toList hardening.RuntimeDirectory ++ [ f2bRuntimeDir ];
        Type = "notify";
        ExecStart = "${lib.getExe cfg.package} daemon --config /etc/portcullis/portcullis.kdl";
        ExecReload = "${pkgs.coreutils}/bin/kill -HUP $MAINPID";
        SupplementaryGroups = cfg.supplementaryGroups;
      };
    };
  };
}
