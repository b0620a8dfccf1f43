#!/bin/sh
# Monolog with its default LineFormatter, through a StreamHandler on php://stdout.
# Needs Debian's php-cli 8.2, Monolog 2, Guzzle and php-curl:
#   apt-get install -y php-cli php-monolog php-guzzlehttp-guzzle php-curl
# Network use is 127.0.0.1 only (a silent local listener).
set -eu
for file in /usr/share/php/Monolog/autoload.php /usr/share/php/GuzzleHttp/autoload.php; do
    if [ ! -f "$file" ]; then
        echo "run.sh: $file is missing: apt-get install -y php-cli php-monolog php-guzzlehttp-guzzle php-curl" >&2
        exit 1
    fi
done
if ! php -r 'exit(extension_loaded("curl") ? 0 : 1);'; then
    echo "run.sh: the curl extension is missing: apt-get install -y php-curl" >&2
    exit 1
fi
export TZ=UTC
MONOLOG_VERSION=$(dpkg-query -W -f '${Version}' php-monolog) exec php -d date.timezone=UTC "$(pwd)/app.php"
