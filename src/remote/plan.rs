//! The objects that tracked paths need, as far as the local store knows
//! them: every file and tree below each pointer, once per id.

use std::collections::HashMap;

use crate::pointer::Kind;
use crate::store::{EntryKind, Id, Store, StoreError};
use crate::workspace::Tracked;

/// One object a tracked path needs.
#[derive(Clone, Debug)]
pub struct Object {
    pub id: Id,
    pub tree: bool,
    /// The object's own bytes when known: a file's size, a local tree's
    /// encoded length.
    pub size: Option<u64>,
    /// Bytes of data it stands for: the file, or every file below a tree.
    pub content: u64,
    /// The first repository path that needs it, for messages.
    pub path: String,
    /// Whether the local store holds it.
    pub local: bool,
    /// 0 for files; a tree is one more than its highest subtree.
    pub height: u32,
}

#[derive(Default)]
pub struct Plan {
    pub objects: Vec<Object>,
    /// Per tracked path: the indices of the objects it needs.
    pub paths: Vec<(String, Vec<usize>)>,
}

struct Walk<'a> {
    store: &'a Store,
    seen: HashMap<Id, usize>,
    plan: Plan,
}

impl Walk<'_> {
    /// Adds an object (and, for a local tree, everything below it) and
    /// returns its index; `needed` collects the indices for one path.
    fn visit(
        &mut self,
        id: Id,
        tree: bool,
        size: u64,
        path: String,
        needed: &mut Vec<usize>,
    ) -> Result<usize, StoreError> {
        if let Some(&i) = self.seen.get(&id) {
            if tree && self.plan.objects[i].local {
                self.collect(i, needed);
            } else {
                needed.push(i);
            }
            return Ok(i);
        }
        let local = self.store.contains(&id);
        let index = self.plan.objects.len();
        self.seen.insert(id, index);
        self.plan.objects.push(Object {
            id,
            tree,
            size: (!tree).then_some(size),
            content: size,
            path: path.clone(),
            local,
            height: 0,
        });
        needed.push(index);
        if !(tree && local) {
            return Ok(index);
        }
        let t = self.store.read_tree(&id)?;
        let mut height = 1;
        for e in t.entries() {
            let child_path = format!("{path}/{}", e.name);
            let is_tree = e.kind == EntryKind::Dir;
            let c = self.visit(e.id, is_tree, e.size, child_path, needed)?;
            height = height.max(self.plan.objects[c].height + 1);
        }
        let o = &mut self.plan.objects[index];
        o.height = height;
        o.size = Some(t.encode().len() as u64);
        Ok(index)
    }

    /// Every index below a tree already walked, for a second path sharing it.
    fn collect(&self, root: usize, needed: &mut Vec<usize>) {
        needed.push(root);
        let Ok(t) = self.store.read_tree(&self.plan.objects[root].id) else {
            return;
        };
        for e in t.entries() {
            if let Some(&i) = self.seen.get(&e.id) {
                if e.kind == EntryKind::Dir && self.plan.objects[i].local {
                    self.collect(i, needed);
                } else {
                    needed.push(i);
                }
            }
        }
    }
}

/// Walks the pointers of `tracked` through the local store. Trees missing
/// locally are listed but not walked: nothing below them is known here.
pub fn local(store: &Store, tracked: &[Tracked]) -> Result<Plan, StoreError> {
    let mut walk = Walk {
        store,
        seen: HashMap::new(),
        plan: Plan::default(),
    };
    for t in tracked {
        let mut needed = Vec::new();
        let tree = t.pointer.kind == Kind::Dir;
        walk.visit(
            t.pointer.id,
            tree,
            t.pointer.size,
            t.rel.to_string(),
            &mut needed,
        )?;
        needed.sort_unstable();
        needed.dedup();
        walk.plan.paths.push((t.rel.to_string(), needed));
    }
    Ok(walk.plan)
}
