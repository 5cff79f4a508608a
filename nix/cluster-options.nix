# services.portcullis.cluster: this host's place in a fleet that shares
# bans over NATS JetStream (docs/fleet.md). Rendered by render-config.nix
# into the `cluster { }` node; checked by assertions.nix.
#
# Secrets never go into the Nix store (it is world-readable): the options
# take files (credentialsFile, passwordFile, tokenFile, tls.key) that the
# daemon reads when it connects.
{ lib, duration, hostName }:

let
  inherit (lib) mkOption types literalExpression;

  # One NATS subject token, as the daemon requires of node and jail names.
  token = types.strMatching "[A-Za-z0-9_-]{1,64}";
  file = types.nullOr types.str;
in
{
  options = {
    servers = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "nats://10.0.0.5:4222" "nats://10.0.0.6:4222" ];
      description = "NATS servers (nats://host:port or tls://host:port), several for failover. Required.";
    };
    node = mkOption {
      # A string, checked by assertions.nix: an empty or dotted host name
      # gets a message naming this option rather than a type error.
      type = types.str;
      default = hostName;
      defaultText = literalExpression "config.networking.hostName";
      example = "gate-1";
      description = "This host's name in the fleet, the second token of its subjects (PREFIX.<node>.>): its NATS user should be allowed to publish there only.";
    };
    subjectPrefix = mkOption { type = types.nullOr types.str; default = null; example = "portcullis"; description = "Every message lives under PREFIX.> (daemon default portcullis)."; };
    stream = mkOption { type = types.nullOr types.str; default = null; example = "PORTCULLIS"; description = "The JetStream stream, created if missing (daemon default PORTCULLIS)."; };
    replicas = mkOption { type = types.nullOr (types.ints.between 1 5); default = null; description = "The stream's replicas when this node creates it (daemon default min(3, servers listed))."; };
    maxAge = mkOption { type = types.nullOr duration; default = null; example = "30d"; description = "The stream forgets decisions this old (daemon default 30d)."; };
    credentialsFile = mkOption {
      type = file;
      default = null;
      example = "/run/secrets/portcullis-nats.creds";
      description = "A NATS .creds file (JWT and NKey seed, as nsc writes it), outside the Nix store.";
    };
    user = mkOption { type = types.nullOr types.str; default = null; example = "gate-1"; description = "NATS user name; goes with passwordFile."; };
    passwordFile = mkOption {
      type = file;
      default = null;
      example = "/run/secrets/portcullis-nats-password";
      description = "A file holding the NATS password of `user` (one line), outside the Nix store; read when the daemon connects.";
    };
    tokenFile = mkOption {
      type = file;
      default = null;
      example = "/run/secrets/portcullis-nats-token";
      description = "A file holding a NATS token (one line), outside the Nix store.";
    };
    tls = {
      ca = mkOption { type = file; default = null; description = "CA certificate verifying the servers."; };
      cert = mkOption { type = file; default = null; description = "Client certificate (with `key`)."; };
      key = mkOption { type = file; default = null; description = "Client key, outside the Nix store."; };
    };
    share = mkOption {
      type = types.nullOr (types.listOf token);
      default = null;
      example = [ "sshd" ];
      description = "Jails whose bans are published; null (the default): all.";
    };
    accept = mkOption {
      type = types.nullOr (types.listOf token);
      default = null;
      example = [ "sshd" ];
      description = "Jails that apply bans from other nodes; null (the default): all.";
    };
    maxBantime = mkOption { type = types.nullOr duration; default = null; example = "1d"; description = "Cap on a ban taken from another node (daemon default 1d)."; };
  };
}
