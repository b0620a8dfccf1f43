#!/bin/sh
# PHP 8.2 CLI errors, one process per shape as a restarting container writes them, with
# Debian's php.ini (log_errors to stderr): an exception printed as a string (PHP 7+'s
# form of "exception 'X' with message"), an uncaught one through a closure and
# array_map ("[internal function]" frames), and a parse error.
# Needs Debian's php-cli: apt-get install -y php-cli
cd "$(dirname "$0")"
echo '@@logship@@ meta {"framework": "php runtime", "version": "'"$(php -r 'echo PHP_VERSION;')"'", "language": "php"}'
for shape in printed internal-function; do
    php "$(pwd)/app.php" "$shape" 2>&1
    echo "@@logship@@ end"
done
echo '@@logship@@ begin {"id": "plain-parse", "error": false, "group": null, "types": [], "logger": null, "level_marks_error": false}'
echo "worker parse listening on :8080"
echo '@@logship@@ begin {"id": "parse-error", "error": true, "group": "parse-error", "types": ["ParseError"], "logger": null, "level_marks_error": false}'
php -r '$total = ;' 2>&1
echo "@@logship@@ end"
