// The portal's own words (Chinese): department names, states, the promise of each window, result labels.

export const STEP_NAMES: Record<string, string> = {
  'business-licence': '营业执照（市场监管局）',
  'seal-engraving': '印章刻制（公安局 + 刻章企业）',
  'tax-invoice': '税务登记与首次申领发票（税务局）',
  'social-insurance': '社保登记（人社局）',
  'bank-account': '银行开户（开户银行）',
  'postal-delivery': '寄递或窗口领取（邮政）',
  'housing-provident-fund': '住房公积金单位登记',
};

export const SHORT_STEP_NAMES: Record<string, string> = {
  overall: '整体服务',
  'business-licence': '市场监管局',
  'seal-engraving': '公安局（印章）',
  'tax-invoice': '税务局',
  'social-insurance': '人社局',
  'bank-account': '开户银行',
  'postal-delivery': '邮政',
  'housing-provident-fund': '公积金中心',
};

/** "公章将于 {time} 前刻制完成": what each window promises, in plain words. */
export const PROMISES: Record<string, (time: string) => string> = {
  'business-licence': (t) => `营业执照将于 ${t} 前核发`,
  'seal-engraving': (t) => `公章将于 ${t} 前刻制完成`,
  'tax-invoice': (t) => `发票将于 ${t} 前发放`,
  'social-insurance': (t) => `社保登记将于 ${t} 前办结`,
  'bank-account': (t) => `银行基本存款账户将于 ${t} 前开立`,
  'postal-delivery': (t) => `证照、印章和发票将于 ${t} 前寄出或备好待取`,
  'housing-provident-fund': (t) => `公积金单位登记将于 ${t} 前办结`,
};

export const STEP_STATES: Record<string, string> = {
  waiting: '等待前一环节',
  in_progress: '办理中',
  done: '已办结',
  needs_correction: '需要补正',
  needs_attention: '服务中心处理中',
  cancelled: '已取消',
};

export const APPLICATION_STATES: Record<string, string> = {
  in_progress: '办理中',
  needs_correction: '需要补正',
  needs_attention: '办理中（服务中心跟进）',
  completed: '已全部办结',
  withdrawn: '已撤回',
};

export const SEAL_KINDS: Record<string, string> = { company: '公章', finance: '财务章', invoice: '发票章', contract: '合同章', legal_representative: '法人章' };
export const INVOICE_KINDS: Record<string, string> = { vat_ordinary: '增值税普通发票', vat_special: '增值税专用发票', e_invoice: '电子发票' };

export const EVENT_WORDS: Record<string, string> = {
  'application.submitted': '申请已提交',
  'step.requested': '已推送至部门',
  'step.accepted': '部门已受理',
  'step.completed': '已办结',
  'step.rejected': '部门要求补正',
  'correction.submitted': '补正已提交',
  'application.completed': '全部事项已办结',
  'application.withdrawn': '申请已撤回',
};
