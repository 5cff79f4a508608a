# The Python test scripts of the VM tests, extracted without nixpkgs: a stub
# `pkgs` whose runNixOSTest returns its argument. vm-tests/check-nix-parse
# byte-compiles each script, so a Python syntax error is caught here too.
let
  stubPkgs = {
    testers.runNixOSTest = test: test;
    lib = {
      optionalString = cond: s: if cond then s else "";
      mkForce = v: v;
    };
  };
  stubSelf = { nixosModules.default = { }; };
  nodes = rsyslog: {
    attacker.networking.primaryIPAddress = "192.168.1.1";
    server.services.rsyslogd.enable = rsyslog;
  };
  script = file: rsyslog:
    (import file { pkgs = stubPkgs; self = stubSelf; }).testScript { nodes = nodes rsyslog; };
in
{
  ban-unban = script ./ban-unban.nix true;
  restart = script ./restart.nix true;
  nftables-restart = script ./nftables-restart.nix true;
  self-heal = script ./self-heal.nix true;
  journal = script ./journal.nix false;
}
