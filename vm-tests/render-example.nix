# Renders the README's NixOS example (`configuration.nix`, a module that sets
# services.portcullis) through the module's renderer, nix/render-config.nix,
# as nix/module.nix would; options the example leaves unset are null there.
# vm-tests/check-nix-parse extracts the block from README.md, renders it and
# runs `portcullis check-config` on the result.
{ module }:

let
  cfg = (import module { }).services.portcullis;
in
import ../nix/render-config.nix {
  settings = cfg.settings or { };
  jails = cfg.jails or { };
  extraConfig = cfg.extraConfig or "";
  database = "/var/lib/portcullis";
  socket = "/run/portcullis/portcullis.sock";
}
