#!/bin/sh
# logback at its documented default pattern: compiles PaymentController.java and runs it.
# Needs a JDK 17 (javac, java) and Debian's logback + SLF4J jars:
#   apt-get install -y openjdk-17-jdk-headless liblogback-java libslf4j-java
# Network use is 127.0.0.1 only (a silent local ServerSocket).
set -eu
if ! command -v javac > /dev/null; then
    echo "run.sh: javac is missing: apt-get install -y openjdk-17-jdk-headless" >&2
    exit 1
fi
jars=/usr/share/java
cp="$jars/slf4j-api.jar:$jars/logback-classic.jar:$jars/logback-core.jar"
for jar in slf4j-api logback-classic logback-core; do
    if [ ! -f "$jars/$jar.jar" ]; then
        echo "run.sh: $jars/$jar.jar is missing: apt-get install -y liblogback-java libslf4j-java" >&2
        exit 1
    fi
done
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
# Packaged as a jar, the way a service ships (log4j2 prints the jar after each frame).
javac -d "$build/classes" -cp "$cp" PaymentController.java
jar cf "$build/payment-service.jar" -C "$build/classes" .
export TZ=UTC
version=$(dpkg-query -W -f='${source:Upstream-Version}' liblogback-java)
java -cp "$build/payment-service.jar:$cp" -Dlogback.version="$version" -Dlogback.configurationFile=logback.xml com.example.payment.PaymentController
