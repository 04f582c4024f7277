#!/usr/bin/env bash
# FastChat and ejabberd 23.01 side by side on this machine, in one command (docs/performance.md, "FastChat beside
# ejabberd"). Installs Debian's ejabberd and its PostgreSQL driver where missing (the package's own service is not
# used: each run starts ejabberd with bench/ejabberd/*.yml, a spool, logs and node name of its own, on a free loopback
# port), builds FastChat and the benchmarks if they are not built, then runs dev.fastchat.versus.Versus; options go
# to it (--help lists them). Needs root (ejabberdctl runs ejabberd as the package's user), PostgreSQL on
# 127.0.0.1:5432 with trust auth for user postgres, and about 20 minutes for the default sweep.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v ejabberdctl >/dev/null 2>&1 || ! ls -d /usr/lib/erlang/lib/p1_pgsql-* >/dev/null 2>&1; then
  echo "versus: installing ejabberd and its PostgreSQL driver from Debian's packages"
  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ejabberd erlang-p1-pgsql </dev/null
fi
JAVA_HOME="$(sh .mvn/find-jdk)" && export JAVA_HOME
if [ ! -f app/target/fastchat.jar ] || [ ! -f bench/target/benchmarks.jar ]; then
  echo "versus: building FastChat and the benchmarks"
  ./mvnw -B -ntp -q -DskipTests -DskipITs install
fi
# ZGC: the drivers' own collector pauses would otherwise show in the latencies they measure (both drivers run in this JVM)
exec "$JAVA_HOME/bin/java" -XX:+UseZGC --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.fastchat.versus.Versus "$@"
