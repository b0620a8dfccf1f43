# Ruby crashes in the shapes log tools' test suites name, printed by the interpreter.
# ruby app.rb SHAPE: a plain start-up line, then SHAPE.
require "json"

def marker(verb, fields = nil)
  $stdout.flush
  $stderr.flush
  $stderr.puts(fields ? "@@logship@@ #{verb} #{JSON.generate(fields)}" : "@@logship@@ #{verb}")
  $stderr.flush
end

def begin_entry(id, error, types, group: error ? id : nil)
  marker("begin", { id: id, error: error, group: group, types: types, logger: nil, level_marks_error: false })
end

Order = Struct.new(:id, :customer)

def shipping_label(order)
  order.customer.address
end

def depth(n)
  depth(n + 1)
end

def charge(order)
  raise ArgumentError, "order #{order.id}: amount missing\nfields: amount, currency"
end

shape = ARGV[0]
begin_entry("plain-#{shape}", false, [])
$stderr.puts "worker #{shape} listening on :8080"
case shape
when "no-method"
  begin_entry("no-method", true, ["NoMethodError"])
  shipping_label(Order.new(7, nil))
when "stack-level"
  begin_entry("stack-level", true, ["SystemStackError"])
  depth(0)
when "multi-line-message"
  begin_entry("multi-line-message", true, ["ArgumentError"])
  charge(Order.new(9, "alice"))
end
