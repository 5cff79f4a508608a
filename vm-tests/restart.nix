# (2) Restarting portcullis, cleanly or after SIGKILL, keeps the bans: they
# come back from LMDB with their remaining time.
{ pkgs, self }:

(import ./lib.nix { inherit pkgs self; }).mkTest {
  name = "restart";
  testScript = { nodes, ... }: ''
    import json

    def time_left_ms():
        out = server.succeed("portcullis list sshd --json")
        bans = [b for b in json.loads(out) if b["address"] == attacker_ip]
        assert len(bans) == 1, f"expected one ban of {attacker_ip}: {out}"
        return bans[0]["expires_ms"]

    fail_logins()
    wait_banned()
    before = time_left_ms()
    assert before is not None and before <= 3600 * 1000, f"bantime 1h, left {before}"

    with subtest("systemctl restart keeps the ban"):
        server.succeed("systemctl restart portcullis.service")
        server.wait_for_unit("portcullis.service")
        wait_banned()
        after = time_left_ms()
        assert after is not None and after <= before, f"{after} left after restart, {before} before"

    with subtest("a killed daemon is restarted with its bans"):
        # Remove the element behind the daemon's back: only the restore can bring it back.
        server.succeed(f"nft delete element inet portcullis sshd-v4 {{ {attacker_ip} }}")
        server.succeed("systemctl kill --signal=KILL portcullis.service")
        server.wait_until_succeeds("systemctl show -P NRestarts portcullis.service | grep -qv '^0$'", timeout=60)
        server.wait_for_unit("portcullis.service")
        wait_banned()

    with subtest("unban after the restarts"):
        server.succeed(f"portcullis unban sshd {attacker_ip}")
        wait_not_banned()
        attacker.succeed(f"sshpass -p right {SSH}")
  '';
}
