import { createMemoryUnitStore } from "./memory-unit-store";
import { describeUnitStoreConformance } from "./unit-store-conformance";

describeUnitStoreConformance("in-memory", async () => ({ store: createMemoryUnitStore() }), {
  skip: {
    "deleted credentials leave no readable trace in the stored bytes": "nothing is persisted to files",
  },
});
