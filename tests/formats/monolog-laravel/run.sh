#!/bin/sh
# Monolog as Laravel configures it: Laravel's own LogManager (illuminate/log) builds the
# "stderr" channel of Laravel's config/logging.php (LOG_CHANNEL=stderr, as containers
# run Laravel), so the LineFormatter settings are Laravel's, not a copy of them.
# Needs Debian's php-cli 8.2, Monolog 2, illuminate/log 8, Guzzle and php-curl:
#   apt-get install -y php-cli php-monolog php-illuminate-log php-illuminate-config \
#       php-illuminate-container php-guzzlehttp-guzzle php-curl
# Network use is 127.0.0.1 only (a closed port).
set -eu
for file in Monolog Illuminate/Log Illuminate/Config Illuminate/Container GuzzleHttp; do
    if [ ! -f "/usr/share/php/$file/autoload.php" ]; then
        echo "run.sh: /usr/share/php/$file is missing: apt-get install -y php-cli php-monolog" \
            "php-illuminate-log php-illuminate-config php-illuminate-container php-guzzlehttp-guzzle php-curl" >&2
        exit 1
    fi
done
if ! php -r 'exit(extension_loaded("curl") ? 0 : 1);'; then
    echo "run.sh: the curl extension is missing: apt-get install -y php-curl" >&2
    exit 1
fi
export TZ=UTC
export MONOLOG_VERSION=$(dpkg-query -W -f '${Version}' php-monolog)
export ILLUMINATE_LOG_VERSION=$(dpkg-query -W -f '${Version}' php-illuminate-log)
exec php -d date.timezone=UTC "$(pwd)/app.php"
