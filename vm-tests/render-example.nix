# Renders the README's NixOS example (`configuration.nix`, a module that sets
# services.portcullis) through the module's renderer, nix/render-config.nix,
# as nix/module.nix would; options the example leaves unset are null there.
# vm-tests/check-nix-parse extracts the block from README.md, renders it and
# runs `portcullis check-config` on the result.
#
# `pkgs` is a stub: `pkgs.fail2ban` is the `fail2ban` argument, a directory
# laid out as nixpkgs' fail2ban package (etc/fail2ban/filter.d); CI passes
# Debian's unpacked package (target/fail2ban/root), so the fail2ban filter
# file the example names is read and checked for real.
{ module, fail2ban ? "/nonexistent/fail2ban" }:

let
  cfg = (import module { pkgs = { inherit fail2ban; }; }).services.portcullis;
in
import ../nix/render-config.nix {
  settings = cfg.settings or { };
  jails = cfg.jails or { };
  extraConfig = cfg.extraConfig or "";
  database = "/var/lib/portcullis";
  socket = "/run/portcullis/portcullis.sock";
}
