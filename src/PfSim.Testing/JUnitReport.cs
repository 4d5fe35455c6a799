using System.Globalization;
using System.Xml.Linq;

namespace PfSim.Testing;

/// <summary>Spec results as JUnit XML, the format CI systems read: one test suite per spec, one test case per expectation.</summary>
public static class JUnitReport
{
    public static XDocument Build(IEnumerable<SpecResult> specs)
    {
        var suites = new XElement("testsuites");
        int total = 0, failures = 0;
        foreach (var s in specs)
        {
            var suite = new XElement("testsuite",
                new XAttribute("name", s.File),
                new XAttribute("tests", s.Results.Count + (s.Error is null ? 0 : 1)),
                new XAttribute("failures", s.Failed),
                new XAttribute("time", Seconds(s.Results.Sum(r => r.Time.TotalSeconds))));
            if (s.Error is not null)
                suite.Add(new XElement("testcase", new XAttribute("classname", s.File), new XAttribute("name", "load"),
                    new XElement("failure", new XAttribute("message", FirstLine(s.Error)), s.Error)));
            foreach (var r in s.Results)
            {
                var tc = new XElement("testcase",
                    new XAttribute("classname", s.File),
                    new XAttribute("name", r.Expectation.Text),
                    new XAttribute("time", Seconds(r.Time.TotalSeconds)));
                if (!r.Passed) tc.Add(new XElement("failure", new XAttribute("message", FirstLine(r.Failure ?? "failed")), r.Failure));
                suite.Add(tc);
            }
            total += s.Results.Count + (s.Error is null ? 0 : 1);
            failures += s.Failed;
            suites.Add(suite);
        }
        suites.Add(new XAttribute("tests", total), new XAttribute("failures", failures));
        return new XDocument(new XDeclaration("1.0", "utf-8", null), suites);
    }

    private static string Seconds(double s) => s.ToString("0.000", CultureInfo.InvariantCulture);

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
