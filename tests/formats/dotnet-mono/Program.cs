// A payments service on Mono: async calls whose exceptions cross awaits, logged as an
// ERROR line followed by Console.Error.WriteLine(ex); the last one is left unhandled.
using System;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace Shop.Payments
{
    public class PaymentException : Exception
    {
        public PaymentException(string message, Exception inner) : base(message, inner) { }
    }

    // The service's own minimal logger: a timestamped line per message.
    public static class Log
    {
        public static void Write(string level, string logger, string message)
        {
            var line = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.fff") + " " + level.PadRight(5) + " " + logger + " - " + message;
            (level == "ERROR" ? Console.Error : Console.Out).WriteLine(line);
        }
    }

    // A blocking client from before async, run off the caller's thread with Task.Run.
    public class LegacyRatesClient
    {
        readonly int port;

        public LegacyRatesClient(int port)
        {
            this.port = port;
        }

        public string Fetch(int orderId)
        {
            using (var client = new TcpClient("127.0.0.1", port))
            {
                client.ReceiveTimeout = 200;
                var stream = client.GetStream();
                var request = Encoding.ASCII.GetBytes("GET /rates?order=" + orderId + " HTTP/1.0\r\n\r\n");
                stream.Write(request, 0, request.Length);
                var buffer = new byte[4096];
                int read = stream.Read(buffer, 0, buffer.Length);
                return Encoding.ASCII.GetString(buffer, 0, read);
            }
        }
    }

    public class PaymentService
    {
        const string Name = "Shop.Payments.PaymentService";
        readonly HttpClient http = new HttpClient();
        readonly LegacyRatesClient rates;
        readonly int ledgerPort;

        public PaymentService(int ratesPort, int ledgerPort)
        {
            rates = new LegacyRatesClient(ratesPort);
            this.ledgerPort = ledgerPort;
        }

        // The rates service accepts the connection and never answers.
        async Task<string> FetchRateAsync(int orderId)
        {
            return await Task.Run(() => rates.Fetch(orderId));
        }

        async Task<int> ParseCentsAsync(string raw)
        {
            await Task.Yield();
            return int.Parse(raw);
        }

        public async Task ChargeAsync(int orderId, string amount)
        {
            int cents;
            try
            {
                cents = await ParseCentsAsync(amount);
            }
            catch (FormatException e)
            {
                throw new PaymentException("bad amount for order " + orderId, e);
            }
            try
            {
                await FetchRateAsync(orderId);
            }
            catch (Exception e)
            {
                throw new PaymentException("rate lookup failed for order " + orderId, e);
            }
            Log.Write("INFO", Name, "charged order " + orderId + ": " + cents + " cents");
        }

        // Nothing listens on the ledger's port.
        public async Task SettleAsync(int runId)
        {
            try
            {
                await http.GetStringAsync("http://127.0.0.1:" + ledgerPort + "/ledger?run=" + runId);
            }
            catch (HttpRequestException e)
            {
                throw new PaymentException("settlement run " + runId + " failed", e);
            }
        }
    }

    public static class Program
    {
        const string Name = "Shop.Payments.PaymentService";

        // Marker lines for tests/formats/generate.py, after the service's own output.
        static void Marker(string line)
        {
            Console.Out.Flush();
            Console.Error.Flush();
            Console.Error.WriteLine("@@logship@@ " + line);
        }

        static void Begin(string id, string group, string types, string logger)
        {
            Marker("begin {\"id\": \"" + id + "\", \"error\": true, \"group\": \"" + group + "\", \"types\": [" + types
                   + "], \"logger\": " + logger + ", \"level_marks_error\": true}");
        }

        static void Charge(PaymentService service, int orderId, string amount)
        {
            try
            {
                service.ChargeAsync(orderId, amount).GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                Log.Write("ERROR", Name, "charge failed for order " + orderId);
                Console.Error.WriteLine(ex);
            }
        }

        public static void Main(string[] args)
        {
            var silent = new TcpListener(IPAddress.Loopback, 0);
            silent.Start();
            var closed = new TcpListener(IPAddress.Loopback, 0);
            closed.Start();
            int closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
            closed.Stop();
            var service = new PaymentService(((IPEndPoint)silent.LocalEndpoint).Port, closedPort);

            Marker("meta {\"framework\": \"dotnet-mono\", \"version\": \"mono " + Environment.GetEnvironmentVariable("MONO_VERSION")
                   + "\", \"language\": \"csharp\", \"configuration\": \"mcs, plain mono (no --debug); the service's own "
                   + "'date LEVEL logger - message' line, then Console.Error.WriteLine(ex); the last exception unhandled "
                   + "(Main blocks on the task with GetAwaiter().GetResult())\"}");

            Log.Write("INFO", Name, "payments service started");
            Log.Write("INFO", Name, "charged order 1001: 1250 cents");
            Log.Write("WARN", Name, "order 1002 retried (attempt 2)");

            Begin("untyped-1", "untyped", "", "\"" + Name + "\"");
            Log.Write("ERROR", Name, "payment 4711 declined for user alice (amount 12.50 EUR, trace 3f9a1c2e7b)");
            Marker("end");
            Begin("untyped-2", "untyped", "", "\"" + Name + "\"");
            Log.Write("ERROR", Name, "payment 5820 declined for user bob (amount 7.00 EUR, trace a81d44f0c9)");
            Marker("end");

            const string Timeout = "\"Shop.Payments.PaymentException\", \"System.IO.IOException\", "
                                 + "\"System.Net.Sockets.SocketException\"";
            Begin("trace-timeout-1", "trace-timeout", Timeout, "\"" + Name + "\"");
            Charge(service, 1003, "1250");
            Marker("end");
            Begin("trace-timeout-2", "trace-timeout", Timeout, "\"" + Name + "\"");
            Charge(service, 1004, "700");
            Marker("end");

            Begin("trace-number-1", "trace-number", "\"Shop.Payments.PaymentException\", \"System.FormatException\"",
                  "\"" + Name + "\"");
            Charge(service, 1005, "x");
            Marker("end");

            Log.Write("INFO", Name, "charged order 1006: 320 cents");

            Begin("untyped-settle-1", "untyped-settle", "", "\"" + Name + "\"");
            Log.Write("ERROR", Name, "settlement run 77 aborted, exiting");
            Marker("end");
            // Mono prints the unhandled exception as the process dies.
            Marker("begin {\"id\": \"unhandled-1\", \"error\": true, \"group\": \"unhandled-refused\", \"types\": "
                   + "[\"Shop.Payments.PaymentException\", \"System.Net.Http.HttpRequestException\", "
                   + "\"System.Net.Sockets.SocketException\"], \"logger\": null, \"level_marks_error\": true}");
            service.SettleAsync(77).GetAwaiter().GetResult();
        }
    }
}
