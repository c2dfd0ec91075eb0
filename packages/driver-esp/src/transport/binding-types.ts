/**
 * The `@serialport/bindings-interface` shapes, as `@factory/serial` restates them (any serialport
 * binding, native or simulated, satisfies them). `PortInfo` is the binding's listing entry.
 */
export type {
  BindingInterface,
  BindingPortInfo as PortInfo,
  BindingPortInterface,
  OpenOptions,
  PortStatus,
  SetOptions,
  UpdateOptions,
} from "@factory/serial";
