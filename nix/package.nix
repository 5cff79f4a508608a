# portcullis built from this checkout with its Cargo.lock, with the man page
# and shell completions the binary generates (`portcullis man`,
# `portcullis completions SHELL`).
{ lib, stdenv, rustPlatform, installShellFiles, pkg-config, systemd }:

rustPlatform.buildRustPackage {
  pname = "portcullis";
  version = (lib.importTOML ../Cargo.toml).package.version;

  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../Cargo.toml
      ../Cargo.lock
      ../src
      ../kdl-config
      ../integration
      ../benches
    ];
  };
  cargoLock.lockFile = ../Cargo.lock;

  # The journal source links libsystemd (the `systemd` crate, found
  # through pkg-config).
  nativeBuildInputs = [ installShellFiles pkg-config ];
  buildInputs = [ systemd ];

  # The test suite needs root and network namespaces; CI runs it (.ci/run),
  # and the VM tests (vm-tests/) run the daemon against a real kernel.
  doCheck = false;

  postInstall = lib.optionalString (stdenv.buildPlatform.canExecute stdenv.hostPlatform) ''
    $out/bin/portcullis man > portcullis.1
    installManPage portcullis.1
    installShellCompletion --cmd portcullis \
      --bash <($out/bin/portcullis completions bash) \
      --zsh <($out/bin/portcullis completions zsh) \
      --fish <($out/bin/portcullis completions fish)
    install -Dm644 kdl-config/portcullis.kdl $out/share/portcullis/portcullis.kdl
  '';

  meta = {
    description = "A fail2ban-class intrusion blocker: log failures in, nftables bans with kernel timeouts out";
    license = lib.licenses.gpl3Plus;
    platforms = lib.platforms.linux;
    mainProgram = "portcullis";
  };
}
