# Evaluates nix/module.nix with lib.evalModules from nixpkgs' lib, against
# the NixOS option declarations and stand-in pkgs of nixos-stubs.nix, with
# `example` (a NixOS configuration module such as the README's) on top.
# Fails as nixos-rebuild would: on a type error, an unknown option, or a
# failed assertion of the module. Returns what vm-tests/eval-nixos-module
# checks: the unit, the hardening it must carry, the rendered configuration
# and the script that checks it at build time.
#
#   nix-instantiate --eval --strict --json vm-tests/module-eval/eval.nix \
#       --arg nixpkgsLib ../shared/nixpkgs-lib/lib --arg example ./configuration.nix
{ nixpkgsLib, example, fail2ban ? "/nonexistent/fail2ban" }:

let
  lib = import nixpkgsLib;
  eval = lib.evalModules {
    modules = [ (import ./nixos-stubs.nix { inherit fail2ban; }) ../../nix/module.nix example ];
  };
  config = eval.config;
  failed = map (a: a.message) (lib.filter (a: !a.assertion) config.assertions);
  unit = config.systemd.services.portcullis;
  etc = config.environment.etc."portcullis/portcullis.kdl";
in
if failed != [ ] then
  throw "\nFailed assertions:\n${lib.concatMapStrings (m: "- ${m}\n") failed}"
else {
  inherit (unit) serviceConfig wantedBy after partOf description documentation;
  hardening = import ../../nix/service-hardening.nix;
  configText = etc.source.text;
  buildCommand = etc.source.buildCommand;
  etcSource = toString etc.source;
  systemPackages = map (p: p.name) config.environment.systemPackages;
  kernelModules = config.boot.kernelModules;
  metrics = config.services.portcullis.settings.metrics;
  fail2banSocket = config.services.portcullis.settings.fail2banSocket;
  cluster = config.services.portcullis.cluster != null;
  # The README's fleet example: the NATS server beside it.
  natsSettings = config.services.nats.settings;
  nats = { inherit (config.services.nats) enable serverName host port jetstream dataDir; };
  warnings = config.warnings;
}
