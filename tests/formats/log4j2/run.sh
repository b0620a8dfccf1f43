#!/bin/sh
# log4j2 at its default PatternLayout pattern: compiles PaymentController.java and runs it.
# Needs a JDK 17 (javac, java) and Debian's log4j2 jars:
#   apt-get install -y openjdk-17-jdk-headless liblog4j2-java
# Network use is 127.0.0.1 only (a silent local ServerSocket).
set -eu
if ! command -v javac > /dev/null; then
    echo "run.sh: javac is missing: apt-get install -y openjdk-17-jdk-headless" >&2
    exit 1
fi
jars=/usr/share/java
cp="$jars/log4j-api.jar:$jars/log4j-core.jar"
for jar in log4j-api log4j-core; do
    if [ ! -f "$jars/$jar.jar" ]; then
        echo "run.sh: $jars/$jar.jar is missing: apt-get install -y liblog4j2-java" >&2
        exit 1
    fi
done
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
# Packaged as a jar, the way a service ships (log4j2 prints the jar after each frame).
javac -d "$build/classes" -cp "$cp" PaymentController.java
jar cf "$build/payment-service.jar" -C "$build/classes" .
export TZ=UTC
version=$(dpkg-query -W -f='${source:Upstream-Version}' liblog4j2-java)
java -cp "$build/payment-service.jar:$cp" -Dlog4j2.version="$version" -Dlog4j2.configurationFile=log4j2.xml com.example.payment.PaymentController
