// .NET traces in the shapes log tools' test suites name, printed by Mono with --debug
// (frames with file and line): a generic dictionary's KeyNotFoundException through a
// lambda, and an exception with an inner one ("--->", "End of inner exception").
using System;
using System.Collections.Generic;
using System.Linq;

namespace Shop.Orders
{
    public static class Program
    {
        static void Marker(string verb, string json)
        {
            Console.Out.Flush();
            Console.Error.WriteLine("@@logship@@ " + verb + (json.Length == 0 ? "" : " " + json));
            Console.Error.Flush();
        }

        static void Begin(string id, bool error, string group, string types)
        {
            Marker("begin", "{\"id\": \"" + id + "\", \"error\": " + (error ? "true" : "false")
                + ", \"group\": " + (group == null ? "null" : "\"" + group + "\"")
                + ", \"types\": " + types + ", \"logger\": null, \"level_marks_error\": false}");
        }

        static readonly Dictionary<string, Dictionary<int, double>> Rates =
            new Dictionary<string, Dictionary<int, double>>();

        static double Rate(string currency, int day)
        {
            return Rates[currency][day];
        }

        static double Total(IEnumerable<string> currencies)
        {
            return currencies.Select(c => Rate(c, 1)).Sum();
        }

        static void Settle(int order)
        {
            try
            {
                Total(new[] { "USD" });
            }
            catch (KeyNotFoundException e)
            {
                throw new InvalidOperationException("settling order " + order + " failed", e);
            }
        }

        public static void Main(string[] args)
        {
            Marker("meta", "{\"framework\": \"mono runtime\", \"version\": \"" + Environment.Version + "\", \"language\": \"dotnet\"}");
            Begin("plain-1", false, null, "[]");
            Console.Error.WriteLine("orders listening on :8080");
            Begin("key-not-found", true, "key-not-found", "[\"System.Collections.Generic.KeyNotFoundException\"]");
            try
            {
                Total(new[] { "EUR" });
            }
            catch (Exception e)
            {
                Console.Error.WriteLine(e);
            }
            Begin("plain-2", false, null, "[]");
            Console.Error.WriteLine("orders still listening on :8080");
            Begin("inner", true, "inner", "[\"System.InvalidOperationException\", \"System.Collections.Generic.KeyNotFoundException\"]");
            try
            {
                Settle(4711);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine(e);
            }
            Begin("plain-3", false, null, "[]");
            Console.Error.WriteLine("orders done");
            Marker("end", "");
        }
    }
}
