{
  description = "portcullis: a fail2ban-class intrusion blocker, nftables sets over netlink";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      # The NixOS VM tests (vm-tests/), all in `checks`.
      vmTests = pkgs: {
        ban-unban = import ./vm-tests/ban-unban.nix { inherit pkgs self; };
        restart = import ./vm-tests/restart.nix { inherit pkgs self; };
        nftables-restart = import ./vm-tests/nftables-restart.nix { inherit pkgs self; };
        self-heal = import ./vm-tests/self-heal.nix { inherit pkgs self; };
        journal = import ./vm-tests/journal.nix { inherit pkgs self; };
      };
    in
    {
      packages = forAllSystems (pkgs: {
        default = pkgs.callPackage ./nix/package.nix { };
        portcullis = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      });

      overlays.default = final: _prev: {
        portcullis = final.callPackage ./nix/package.nix { };
      };

      nixosModules.default = { pkgs, lib, ... }: {
        imports = [ ./nix/module.nix ];
        services.portcullis.package = lib.mkDefault (pkgs.callPackage ./nix/package.nix { });
      };

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${pkgs.stdenv.hostPlatform.system}.default ];
          packages = with pkgs; [ cargo rustc clippy rustfmt rust-analyzer nftables iproute2 ];
        };
      });

      checks = forAllSystems (pkgs:
        let
          portcullis = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        in
        {
          build = portcullis;

          clippy = portcullis.overrideAttrs (old: {
            pname = "portcullis-clippy";
            nativeBuildInputs = old.nativeBuildInputs ++ [ pkgs.clippy ];
            buildPhase = ''
              runHook preBuild
              cargo clippy --offline --locked --all-targets -- -D warnings
              runHook postBuild
            '';
            installPhase = "touch $out";
            postInstall = "";
            doCheck = false;
          });

          fmt = pkgs.runCommand "portcullis-fmt"
            { nativeBuildInputs = [ pkgs.cargo pkgs.rustfmt ]; }
            ''
              export HOME=$TMPDIR
              cd ${portcullis.src}
              cargo fmt --check
              touch $out
            '';
        }
        // vmTests pkgs);
    };
}
