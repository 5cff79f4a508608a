# portcullis built from this checkout with its Cargo.lock.
{ lib, rustPlatform }:

rustPlatform.buildRustPackage {
  pname = "portcullis";
  version = "0.1.0";
  src = lib.cleanSource ../.;
  cargoLock.lockFile = ../Cargo.lock;
  # The test suite needs root and network namespaces; CI runs it (.ci/run).
  doCheck = false;

  meta = {
    description = "A fail2ban-class intrusion blocker: log failures in, nftables bans with kernel timeouts out";
    license = lib.licenses.gpl3Plus;
    platforms = lib.platforms.linux;
    mainProgram = "portcullis";
  };
}
