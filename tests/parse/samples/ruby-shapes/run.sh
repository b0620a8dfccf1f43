#!/bin/sh
# Uncaught Ruby errors as Debian's ruby 3.1 prints them, one process per shape as a
# restarting container writes them: a NoMethodError with error_highlight's source and
# caret lines, a SystemStackError with its "... N levels..." line, a message of two lines.
# Needs Debian's ruby: apt-get install -y ruby
cd "$(dirname "$0")"
echo '@@logship@@ meta {"framework": "ruby runtime", "version": "'"$(ruby -e 'print RUBY_VERSION')"'", "language": "ruby"}'
for shape in no-method stack-level multi-line-message; do
    ruby "$(pwd)/app.rb" "$shape" 2>&1
    echo "@@logship@@ end"
done
