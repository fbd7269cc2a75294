// Administrative division codes (GB/T 2260) of the default city, 三门峡市, and its districts and counties.
// A deployment serving another city configures its own list; the form schema takes it as a parameter.

export const SANMENXIA_DIVISIONS: Readonly<Record<string, string>> = Object.freeze({
  '411200': '三门峡市',
  '411202': '湖滨区',
  '411203': '陕州区',
  '411221': '渑池县',
  '411224': '卢氏县',
  '411281': '义马市',
  '411282': '灵宝市',
});
