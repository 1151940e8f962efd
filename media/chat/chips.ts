// Attached context (a selection or a file), on a sent message or waiting in the composer.
import type { ChipView } from "../../src/editor/chat/protocol";
import { el, iconButton } from "./dom";

/** The composer's chips can be removed (data-action="removeChip"); a sent message's cannot. */
export function chipList(chips: ChipView[], removable: boolean): HTMLUListElement {
  return el(
    "ul",
    { class: "chips", "aria-label": "Attached context" },
    ...chips.map((chip) =>
      el(
        "li",
        { class: "chip", "data-kind": chip.kind, title: chip.detail },
        el("span", { class: "chip-label" }, chip.label),
        ...(removable ? [iconButton("close", `Remove ${chip.label}`, { class: "chip-remove", "data-action": "removeChip", "data-chip-id": chip.id })] : []),
      ),
    ),
  );
}
