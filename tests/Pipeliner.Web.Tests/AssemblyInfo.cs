// One test at a time: the browser tests measure timings, and the component tests, the browser, the server and the
// Docker jobs would otherwise share two cores and make each other slow.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
