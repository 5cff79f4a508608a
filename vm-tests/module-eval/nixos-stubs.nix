# Small declarations of the NixOS options nix/module.nix sets or reads, with
# the types NixOS gives them (nixos/modules/system/boot/systemd.nix,
# system/etc/etc.nix, config/system-path.nix, ...), and a stand-in `pkgs`:
# enough for lib.evalModules from nixpkgs' lib to evaluate the module for
# real, type checks and merges included, without a nixpkgs checkout.
# Options are declared without freeformType, so a module that sets an option
# NixOS does not have fails here as it would on NixOS. `pkgs.fail2ban` is
# the `fail2ban` argument: a directory laid out as nixpkgs' fail2ban package
# (etc/fail2ban/filter.d); CI passes Debian's unpacked package, so that
# check-config reads the fail2ban filter files an example names.
{ fail2ban }:
{ lib, ... }:

let
  inherit (lib) mkOption types;

  # A derivation as far as types.package, lib.getExe and string
  # interpolation are concerned: a name, an outPath, meta.mainProgram.
  fakePackage = name: mainProgram: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
    meta.mainProgram = mainProgram;
  };

  pkgs = {
    portcullis = fakePackage "portcullis-0.1.0" "portcullis";
    inherit fail2ban;
    coreutils = fakePackage "coreutils-9.5" "coreutils";
    stdenv = {
      buildPlatform.canExecute = _: true;
      hostPlatform = { };
    };
    # runCommand keeps what it was given, so the caller can read the
    # rendered text and the build script (the check-config call) back.
    runCommand = name: env: buildCommand:
      fakePackage name null // { inherit (env) text; inherit buildCommand; };
  };

  # systemd's unit settings (nixos/lib/systemd-unit-options.nix: unitOption).
  unitValue = types.oneOf [ types.bool types.int types.str types.path ];
  unitOption = types.either unitValue (types.listOf unitValue);
  strings = mkOption { type = types.listOf types.str; default = [ ]; };

  serviceOptions = {
    options = {
      enable = mkOption { type = types.bool; default = true; };
      description = mkOption { type = types.str; default = ""; };
      documentation = strings;
      wantedBy = strings;
      requiredBy = strings;
      wants = strings;
      requires = strings;
      after = strings;
      before = strings;
      partOf = strings;
      restartTriggers = mkOption { type = types.listOf types.unspecified; default = [ ]; };
      reloadTriggers = mkOption { type = types.listOf unitOption; default = [ ]; };
      path = mkOption { type = types.listOf (types.either types.package types.str); default = [ ]; };
      environment = mkOption { type = types.attrsOf (types.nullOr (types.either types.str types.package)); default = { }; };
      unitConfig = mkOption { type = types.attrsOf unitOption; default = { }; };
      serviceConfig = mkOption { type = types.attrsOf unitOption; default = { }; };
      script = mkOption { type = types.lines; default = ""; };
      preStart = mkOption { type = types.lines; default = ""; };
    };
  };

  etcOptions = { name, ... }: {
    options = {
      enable = mkOption { type = types.bool; default = true; };
      target = mkOption { type = types.str; default = name; };
      text = mkOption { type = types.nullOr types.lines; default = null; };
      source = mkOption { type = types.path; };
      mode = mkOption { type = types.str; default = "symlink"; };
      user = mkOption { type = types.str; default = "+0"; };
      group = mkOption { type = types.str; default = "+0"; };
    };
  };
in
{
  options = {
    assertions = mkOption {
      type = types.listOf (types.submodule {
        options.assertion = mkOption { type = types.bool; };
        options.message = mkOption { type = types.str; };
      });
      default = [ ];
    };
    warnings = mkOption { type = types.listOf types.str; default = [ ]; };

    systemd.services = mkOption { type = types.attrsOf (types.submodule serviceOptions); default = { }; };
    environment.etc = mkOption { type = types.attrsOf (types.submodule etcOptions); default = { }; };
    environment.systemPackages = mkOption { type = types.listOf types.package; default = [ ]; };
    boot.kernelModules = mkOption { type = types.listOf types.str; default = [ ]; };

    networking.hostName = mkOption { type = types.str; default = "nixos"; };
    networking.firewall.allowedTCPPorts = mkOption { type = types.listOf types.port; default = [ ]; };

    networking.nftables = {
      enable = mkOption { type = types.bool; default = false; };
      ruleset = mkOption { type = types.lines; default = ""; };
      tables = mkOption { type = types.attrsOf (types.attrsOf types.anything); default = { }; };
    };

    users.users = mkOption { type = types.attrsOf (types.attrsOf types.anything); default = { }; };
    users.groups = mkOption { type = types.attrsOf (types.attrsOf types.anything); default = { }; };

    # Services the README's examples switch on beside portcullis.
    services.nginx.enable = mkOption { type = types.bool; default = false; };
    # nixos/modules/services/networking/nats.nix (settings: pkgs.formats.json).
    services.nats = {
      enable = mkOption { type = types.bool; default = false; };
      user = mkOption { type = types.str; default = "nats"; };
      group = mkOption { type = types.str; default = "nats"; };
      serverName = mkOption { type = types.str; default = "nats"; };
      jetstream = mkOption { type = types.bool; default = false; };
      host = mkOption { type = types.str; default = "127.0.0.1"; };
      port = mkOption { type = types.port; default = 4222; };
      dataDir = mkOption { type = types.path; default = "/var/lib/nats"; };
      settings = mkOption { type = types.attrsOf types.anything; default = { }; };
    };
  };

  config._module.args.pkgs = pkgs;
}
